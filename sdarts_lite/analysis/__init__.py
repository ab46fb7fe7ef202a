"""Many histories summarised: the measures of a run and of a group over seeds (measures), and the
statistics behind them (stats)."""
