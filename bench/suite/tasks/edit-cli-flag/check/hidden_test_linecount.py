import linecount


def files(tmp_path):
    a = tmp_path / "alpha.txt"
    b = tmp_path / "beta.txt"
    a.write_text("one\ntwo\n\nthree\n")
    b.write_text("x\n")
    return [str(a), str(b)]


def run(capsys, argv):
    code = linecount.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.out + out.err


def test_verbose_names_each_file(tmp_path, capsys):
    paths = files(tmp_path)
    code, quiet_out, quiet_all = run(capsys, paths)
    assert code == 0
    code, _, loud_all = run(capsys, ["--verbose", *paths])
    assert code == 0
    for name in ("alpha.txt", "beta.txt"):
        assert loud_all.count(name) > quiet_all.count(name), loud_all
    assert f"4 {paths[0]}" in loud_all and "5 total" in loud_all  # counts are still printed


def test_verbose_after_the_files(tmp_path, capsys):
    code, _, text = run(capsys, [*files(tmp_path), "--verbose"])
    assert code == 0
    assert text.count("alpha.txt") >= 2


def test_default_output_unchanged(tmp_path, capsys):
    paths = files(tmp_path)
    code, out, _ = run(capsys, paths)
    assert code == 0
    assert out.splitlines() == [f"       4 {paths[0]}", f"       1 {paths[1]}", "       5 total"]
    code, out, _ = run(capsys, ["--skip-blank", paths[0]])
    assert out.split() == ["3", paths[0]]
