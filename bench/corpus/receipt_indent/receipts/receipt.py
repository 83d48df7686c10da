def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def receipt_lines(items):
    lines = []
    total = 0
    for name, cents in items:
        lines.append(f"{name:<12}{money(cents):>8}")
        total += cents
      lines.append(f"{'TOTAL':<12}{money(total):>8}")
    return lines
