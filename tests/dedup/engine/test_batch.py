"""The batch engine: candidate pairs (records that share a blocking key, unless too many share it), its files."""

from __future__ import annotations

import duckdb
import pytest

from crossroads.dedup.engine.batch import _BROAD_KEY_LIMIT, BatchResult, candidate_pairs_sql, write_outputs
from crossroads.dedup.engine.keys import BROAD_KINDS
from crossroads.dedup.engine.model import default_model
from tests.helpers import BREAKING, HOSTILE, csv_cells, live_csv_cells


class TestCandidatePairs:
    @pytest.mark.parametrize("kind", [*BROAD_KINDS, "n"])
    def test_a_broad_key_shared_by_too_many_records_makes_no_pairs(self, kind):
        con = duckdb.connect()
        crowd = [(f"c{i:03d}", f"{kind}:crowd") for i in range(_BROAD_KEY_LIMIT + 1)]
        con.execute("CREATE TABLE person_keys (id VARCHAR, key VARCHAR)")
        con.executemany("INSERT INTO person_keys VALUES (?, ?)", [*crowd, ("a", f"{kind}:pair"), ("b", f"{kind}:pair")])
        pairs = {(left, right) for _, left, right in con.execute(candidate_pairs_sql("person_keys")).fetchall()}
        assert ("a", "b") in pairs
        assert (("c000", "c001") in pairs) == (kind not in BROAD_KINDS)


class TestWriteOutputs:
    """Ids come from the input file as typed: the pairs and clusters files never carry a live formula."""

    def test_ids_beginning_like_a_formula_are_neutralised_and_plain_numbers_kept(self, tmp_path):
        ids = [*HOSTILE, *BREAKING, "-5", "+7"]
        pairs = [(a, b, 0.987654) for a, b in zip(ids, ids[1:], strict=False)]
        clusters = [(i, ids[0]) for i in ids]
        result = BatchResult(pairs=pairs, clusters=clusters, model=default_model())
        write_outputs(result, pairs_path=tmp_path / "pairs.csv", clusters_path=tmp_path / "clusters.csv")
        for name in ("pairs.csv", "clusters.csv"):
            assert live_csv_cells((tmp_path / name).read_bytes()) == []
        written = csv_cells((tmp_path / "pairs.csv").read_bytes())
        expected = [spreadsheet_id(i) for i in ids]
        assert [row[0] for row in written[1:]] == expected[:-1]
        assert [row[1] for row in written[1:]] == expected[1:]
        assert {row[2] for row in written[1:]} == {"0.987654"}
        assert csv_cells((tmp_path / "clusters.csv").read_bytes())[1:] == [[e, expected[0]] for e in expected]


def spreadsheet_id(value: str) -> str:
    return value if value in BREAKING or value in ("-5", "+7") else "'" + value


class TestReadPeopleCsv:
    HEADER = "id,given_name,family_name,date_of_birth,sex,nationality,place,document_type,document_number,phone\n"

    def _read(self, tmp_path, body: bytes):
        from crossroads.dedup.engine.batch import read_people_csv

        path = tmp_path / "in.csv"
        path.write_bytes(body)
        return read_people_csv(path)

    def test_values_that_do_not_parse_are_kept_as_written_and_counted(self, tmp_path):
        from crossroads.dedup.engine.batch import dirty_values

        records = self._read(tmp_path, (self.HEADER + "1,Ana,Lopez,1915-11-32,f,Venezuela,,passport,L898902C36,"
                                        "+58 212 555 0101\n2,Ana,Lopez,1915-11-25,f,VEN,,,,\n"
                                        "3,Rosa,Diaz,05/03/1990,f,ven,,,,\n").encode())
        assert [r.date_of_birth for r in records] == ["1915-11-32", "1915-11-25", "05/03/1990"]
        assert records[0].nationality == "Venezuela"
        assert (records[0].documents, records[0].document_types, records[0].phones) == (
            ("L898902C36",), ("passport",), ("+58 212 555 0101",))
        assert records[1].documents == () and records[1].phones == ()
        assert dirty_values(records) == {"dates_unparsed": 2, "nationalities_unparsed": 1}

    @pytest.mark.parametrize(("body", "row", "column"), [
        (b"given_name,family_name\nAna,Lopez\n", 1, "id"),
        (b"id,given_name\n1,Ana\n1,Rosa\n", 3, "id"),
        (b"id,given_name\n1,Ana\n2,Ros\xe1\n", 3, "given_name"),
        (b"id,given_name,family_name\n1,Ana,L\xf3pez\n", 2, "family_name"),
        (b"id,giv\xe9n\n1,Ana\n", 1, "#2"),
    ])
    def test_a_file_that_is_not_a_csv_of_people_is_refused_naming_row_and_column(self, tmp_path, body, row, column):
        from crossroads.dedup.engine.batch import CsvError

        with pytest.raises(CsvError) as caught:
            self._read(tmp_path, body)
        assert (caught.value.row, caught.value.column) == (row, column)
