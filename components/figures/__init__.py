"""Pure figure builders: Plotly charts, the pydeck map, its legend and a static map image."""
