"""Build tools, not part of the installed package: the book, the README's figures and generated
numbers, the notebooks' checked outputs and exercise sections (``make book``, ``make figures``,
``make notebooks``, ``make exercises``)."""
