"""What users run: the command line (cli, its flags generated in flags), the notebook widgets
(widgets), the book of executed notebooks (book), the figures and generated numbers of the README
and the course pages (readme_figures), each notebook's exercise section written from its solution
(exercise_sections) and the notebooks' checked outputs (notebook_outputs)."""
