"""The one download response: names that survive every client, and headers that keep files out of caches."""

from __future__ import annotations

import pytest

from crossroads.web.downloads import content_disposition, file_download


class TestContentDisposition:
    @pytest.mark.parametrize(("name", "expected"), [
        ("release.csv", "attachment; filename=\"release.csv\"; filename*=UTF-8''release.csv"),
        ("رسالة.pdf", "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%D8%B1%D8%B3%D8%A7%D9%84%D8%A9.pdf"),
        ('a"b;c.txt', "attachment; filename=\"a_b;c.txt\"; filename*=UTF-8''a%22b%3Bc.txt"),
    ])
    def test_ascii_fallback_and_exact_utf8_name(self, name, expected):
        assert content_disposition(name) == expected


class TestFileDownload:
    def test_streams_the_whole_content_with_its_length(self):
        content = bytes(range(256)) * 1000
        response = file_download(content, filename="data.bin", media_type="application/octet-stream")
        assert response.headers["content-length"] == str(len(content))
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.media_type == "application/octet-stream"
