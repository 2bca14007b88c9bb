"""Korean date and time as Koreans write them: the period of day before the time ("오후 6:04"), where
Django's own Korean formats put it after ("6:04 오후"). Everything else is Django's."""

from django.conf.locale.ko.formats import *  # type: ignore[import-untyped]  # noqa: F403

DATETIME_FORMAT = "Y년 n월 j일 A g:i"
SHORT_DATETIME_FORMAT = "Y. n. j. A g:i"
