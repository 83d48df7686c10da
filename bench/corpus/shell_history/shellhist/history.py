class History:
    def __init__(self, limit=100):
        self.limit = limit
        self._entries = []

    def add(self, command):
        command = command.strip()
        if not command:
            return
        if self._entries and self._entries[-1] == command:
            return  # collapse immediate repeats
        self._entries.append(command)
        if len(self._entries) > self.limit:
            del self._entries[0]

    def last(self):
        if not self._entries:
            return None
        return self._entries[len(self._entries)]

    def search(self, prefix):
        return [c for c in reversed(self._entries) if c.startswith(prefix)]

    def __len__(self):
        return len(self._entries)
