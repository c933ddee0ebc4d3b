"""The dashboard's widgets: the Train tab's parts, the activation viewer and its heatmaps."""
