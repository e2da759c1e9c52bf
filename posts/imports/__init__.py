"""Moving whole blogs in and out: every importer and the export, in one place.

Every format is a parser that reads its files into the neutral records of ``records``:

* ``wxr`` (WordPress exports), ``blogger`` (Blogger backups, both formats), ``disqus``
  (Disqus exports) stream XML through ``xmlstream``, the one place XML is parsed;
* ``captured`` reads captured post pages (parsed by ``capture``) with their sources.json.

Then one path for all of them: ``plan`` reads the database and decides, without
writing, what every record would create, update or skip; ``apply`` writes a plan in one
transaction; ``report`` prints either; ``command`` is the management commands' shared
base. ``markup`` turns source HTML into what msblog stores, and ``export`` writes the
site back out as a WordPress export.
"""
