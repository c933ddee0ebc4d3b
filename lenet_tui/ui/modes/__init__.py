"""What the dashboard is doing: training one run, a grid here, a grid on Ray, or a kept run.

Each mode is a widget never shown (its workers post their messages to it), given the screen (its
public `begin_run`, `ready_for`, `load_then`, `load` and `folders`), holding what it needs. The
screen routes to the mode in use: `stop` (ctrl+x), `end_runs` (quitting), `run_opened`,
`run_ended`.
"""
