def hourly_rate(amount_cents, minutes):
    """Effective rate in cents per hour for a job that took `minutes`."""
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    hours = minutes // 60
    return round(amount_cents / hours)


def bill(minutes, rate_cents_per_hour, minimum_minutes=15):
    billable = max(minutes, minimum_minutes)
    return round(billable * rate_cents_per_hour / 60)
