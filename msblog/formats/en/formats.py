# For en and en-gb: the long date of posts, comments and archives.
DATE_FORMAT = "j F Y"
# The short date of "Related posts" and "Other relevant posts".
SHORT_DATE_FORMAT = "j M Y"
