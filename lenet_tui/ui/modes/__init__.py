"""What the dashboard is doing: training one run, a grid here, a grid on Ray, or a kept run.

Each mode is a plain object given the screen (its public methods: `begin_run`, `ready_for`,
`load_then`, and `folders`), holding what it needs and starting its own worker where it has
one. The screen routes to the mode in use: `stop` (ctrl+x), `end_runs` (quitting), `run_ended`.
"""
