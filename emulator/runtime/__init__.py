"""Run time: scheduling, conditions, variables, logging commands and the agent workspace."""
