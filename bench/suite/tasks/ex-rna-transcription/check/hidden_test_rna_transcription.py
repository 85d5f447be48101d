import pytest

from rna_transcription import to_rna


@pytest.mark.parametrize(
    "dna, rna", [("", ""), ("C", "G"), ("G", "C"), ("T", "A"), ("A", "U"), ("ACGTGGTCTTAA", "UGCACCAGAAUU")]
)
def test_to_rna(dna, rna):
    assert to_rna(dna) == rna
