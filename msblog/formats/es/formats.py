# Django's Spanish DATE_FORMAT ("6 de diciembre de 2026") is already the long date; the
# short one of "Related posts" keeps the abbreviated month, as in English.
SHORT_DATE_FORMAT = "j M Y"
