"""The warm runner: a test server per sandbox worker that imports once and forks per candidate."""
