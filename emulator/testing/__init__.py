"""The reusable test kit: a pytest plugin with isolated emulator state, and the Gherkin step library."""
