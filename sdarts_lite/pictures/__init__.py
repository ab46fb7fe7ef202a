"""Pictures of histories and summaries: plotly figures (figures), graphviz cell drawings
(cell_drawings) and the HTML reports that hold both (reports)."""
