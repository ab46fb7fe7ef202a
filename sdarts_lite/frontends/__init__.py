"""What users run: the command line (cli, its flags generated in flags) and the notebook widgets
(widgets).  The build tools (the book, the README's figures, the notebooks' outputs and exercise
sections) live in ``tools/``, outside the installed package."""
