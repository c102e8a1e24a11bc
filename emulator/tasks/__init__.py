"""Tasks: `Name@major` implementations behind a registry that users can extend."""
