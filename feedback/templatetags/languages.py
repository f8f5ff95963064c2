"""The page's language for ``<html lang>`` and the links to the same page in the other languages
(the language switcher of the patient's pages; docs/adr/0021)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils import translation

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    """A link to the page in another language: its address, the language's own name and code
    (as HTML writes it, for the link's ``lang`` and ``hreflang``)."""

    url: str
    name: str
    code: str


def html_language(code: str) -> str:
    """A Django language code as HTML writes it (BCP 47): "en-gb" -> "en-GB", "cy" -> "cy"."""
    return translation.to_locale(code).replace("_", "-")


@register.simple_tag
def html_lang() -> str:
    return html_language(translation.get_language() or settings.LANGUAGE_CODE)


@register.simple_tag
def language_links(request: HttpRequest | str | None) -> list[LanguageLink]:
    """The same page in each other language. Only the patient's pages have an address per
    language: staff pages, the API's and addresses that match no page get no links (their
    address is the same in every language)."""
    if not isinstance(request, HttpRequest):  # the server error page is drawn without one
        return []
    current = translation.get_language()
    query = request.GET.urlencode()
    links = []
    for code, name in settings.LANGUAGES:
        if code == current:
            continue
        url = translate_url(request.path, code)
        if url == request.path:
            continue
        links.append(
            LanguageLink(
                url=f"{url}?{query}" if query else url, name=name, code=html_language(code)
            )
        )
    return links
