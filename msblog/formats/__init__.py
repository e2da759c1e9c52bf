"""Date formats per language (settings.FORMAT_MODULE_PATH), read before Django's own.

The site writes a day as WordPress does, "6 December 2026", where Django's en-GB default
is "6 Dec 2026"; lists of related posts keep the short month. Other formats are Django's.
"""
