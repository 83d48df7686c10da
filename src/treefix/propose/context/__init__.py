"""What a model is shown beyond the suspicious code: the failing tests' source with their
fixtures (`tests`), how they fail (`failure`), and a ranked map of the repository (`repomap`),
assembled within a token budget by `first.build_first_prompt`."""
