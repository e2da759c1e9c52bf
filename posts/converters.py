"""Path converters for WordPress-style permalinks: /2014/02/08/slug/."""


class FixedDigits:
    width = 2

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return f"{int(value):0{self.width}d}"


class Year(FixedDigits):
    regex = "[0-9]{4}"
    width = 4


class TwoDigits(FixedDigits):
    regex = "[0-9]{2}"


class TagSlug:
    """A tag's slug; taggit keeps letters like "é" in slugs, which <slug:> would refuse."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
