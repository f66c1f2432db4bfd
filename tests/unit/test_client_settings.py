"""Pure helpers of search/client.py: the fingerprint setting and URL redaction."""

from __future__ import annotations

import pytest

from newsfacet.settings import SettingsError
from search.client import fingerprint_setting, redact_url

SHA256 = "4D:E2:94:9C:2C:E0:03:79:32:D7:2E:43:95:0F:41:45:98:72:62:2A:A9:84:34:36:EA:5D:38:53:8F:61:C7:58"


@pytest.mark.parametrize(
    "value",
    [SHA256, SHA256.replace(":", ""), SHA256.lower(), f"sha256 Fingerprint={SHA256}", f"SHA256 Fingerprint={SHA256}\n"],
)
def test_fingerprint_forms_openssl_and_kibana_print(value):
    assert fingerprint_setting(value) == SHA256.replace(":", "").lower()


@pytest.mark.parametrize("value", ["", "AB:CD", SHA256[:-3], SHA256.replace("4D", "ZZ"), "not a fingerprint"])
def test_malformed_fingerprint_names_the_setting(value):
    with pytest.raises(SettingsError, match="ELASTICSEARCH_FINGERPRINT"):
        fingerprint_setting(value)


def test_redact_url_hides_credentials_of_every_node():
    assert redact_url("https://u:p@a:9200,https://b:9200") == "https://***@a:9200,https://b:9200"
