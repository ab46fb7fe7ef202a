"""What users run: the command line (cli, its flags generated in flags), the notebook widgets
(widgets), the book of executed notebooks (book), the README's figures (readme_figures) and the
notebooks' checked outputs (notebook_outputs)."""
