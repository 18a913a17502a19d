"""English dates as the portal has always written them (day, month, year: its people are international), where
Django's own English formats are American. The other languages use Django's formats for them (German "7. Dezember
2026", French "7 décembre 2026"); templates name the format (``|date:"DATE_FORMAT"``), never its pattern."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
