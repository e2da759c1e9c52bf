"""Importers for whole blogs (WordPress WXR, Blogger Atom, Disqus XML).

Each format has a parser (``wxr``, ``blogger``, ``disqus``) that streams its file into
the neutral records of ``records``. ``plan`` reads the database and decides, without
writing, what every record would create, update or skip; ``apply`` writes a plan in one
transaction; ``report`` prints either. ``markup`` turns source HTML into what msblog
stores, and ``xmlstream`` is the one place XML is parsed.
"""
