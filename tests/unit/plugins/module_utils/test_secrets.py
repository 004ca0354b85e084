import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import secrets

HOST = "tcp(mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306)"
DSN = "skoala:p@ss:w&rd=%x@tcp(mysql:3306)/skoala?charset=utf8"


@pytest.mark.parametrize("password", [
    "plain", "p@ss", "p:ss", "p&ss=1", "p%40ss", "a@b:c&d=e%f", "@:&=%", "ends-with-@", "x/y", "",
    "p@tcp(x", "p@ss)",
])
def test_parse_dsn_passwords_with_special_characters(password):
    dsn = "skoala:%s@%s/skoala?charset=utf8&parseTime=true&loc=Local&timeout=10s" % (password, HOST)
    parts = secrets.parse_dsn(dsn)
    assert parts["user"] == "skoala"
    assert parts["password"] == password
    assert parts["net"] == "tcp"
    assert parts["address"] == "mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306"
    assert parts["database"] == "skoala"
    assert parts["params"] == "charset=utf8&parseTime=true&loc=Local&timeout=10s"
    assert secrets.dsn_password(dsn) == (password or None)


def test_parse_dsn_without_credentials_or_params():
    assert secrets.parse_dsn("tcp(db:3306)/skoala") == {
        "user": "", "password": "", "net": "tcp", "address": "db:3306", "database": "skoala", "params": ""}
    assert secrets.parse_dsn("/skoala")["database"] == "skoala"
    assert secrets.parse_dsn("unix(/run/mysqld.sock)/skoala")["address"] == "/run/mysqld.sock"


@pytest.mark.parametrize("bad", ["", None, "no-slash-here"])
def test_parse_dsn_rejects_garbage(bad):
    with pytest.raises(secrets.DsnError):
        secrets.parse_dsn(bad)


@pytest.mark.parametrize("value", ["", None, "no-slash-here", "just-a-password", "tcp(db:3306)/skoala"])
def test_dsn_password_none_for_no_dsn_or_no_password(value):
    assert secrets.dsn_password(value) is None


def test_secrets_in_values_and_dsn_password():
    values = {"hive": {"configMap": {"database": [{"driver": "mysql", "dsn": DSN}]}},
              "auth": {"password": "pw1"}, "image": {"tag": "v1"}, "list": [{"token": "t0k"}]}
    found = secrets.secrets_in(values)
    assert DSN in found and "p@ss:w&rd=%x" in found and "pw1" in found and "t0k" in found
    assert "v1" not in found and "mysql" not in found
    assert secrets.secrets_in({"dsn": None}) == []


def test_redact():
    text = "failed: dsn %s and password p@ss:w&rd=%%x" % DSN
    out = secrets.redact(text, secrets.secrets_in({"dsn": DSN}))
    assert "p@ss" not in out and out.count("********") == 2
    assert secrets.redact(None, ["x"]) is None


def test_redact_longest_first_and_custom_mask():
    dsn = "u:pw@tcp(h)/d"
    assert secrets.redact("dsn=%s password=pw" % dsn, [dsn, "pw"]) == "dsn=******** password=********"
    assert secrets.redact("a pw", ["pw", "", None], mask="***") == "a ***"
    assert secrets.redact(3, []) == "3"


@pytest.mark.parametrize("password", [
    "plain", "p@ss", "p:ss", "p&ss=1", "p%40ss", "a@b:c&d=e%f", "ends-with-@", "x/y", "p@tcp(x", "p@ss)",
])
@pytest.mark.parametrize("quoted", ["data: %s\n", "'%s'", '{\\"dsn\\":\\"%s\\"}', "dsn=%s,"])
def test_dsn_passwords_in_text(password, quoted):
    text = "Error: cannot patch: " + quoted % ("skoala:%s@%s/skoala?charset=utf8" % (password, HOST))
    assert secrets.dsn_passwords_in(text) == [password]
    masked = secrets.mask_dsn_passwords(text)
    assert masked == text.replace(password, "********")
    assert "skoala:********@tcp(" in masked


@pytest.mark.parametrize("text, expected", [
    # the address or database cut off (a shortened error) still has its credentials
    ("u:pw@tcp(mysql:33", "u:********@tcp(mysql:33"),
    ("u:a/b@tcp(h)", "u:********@tcp(h)"),
    ("root:s3cret@unix(/run/mysqld.sock)/db", "root:********@unix(/run/mysqld.sock)/db"),
    ("x:p1@tcp(h)/d and y:p2@tcp(h2)/e", "x:********@tcp(h)/d and y:********@tcp(h2)/e"),
    # the password wherever else it stands too
    ("u:s3cret@tcp(h)/d; retried with s3cret", "u:********@tcp(h)/d; retried with ********"),
    ("no credentials: tcp(h)/d u:@tcp(h)/d", "no credentials: tcp(h)/d u:@tcp(h)/d"),
    ("nothing here", "nothing here"),
    ("", ""),
    (None, ""),
])
def test_mask_dsn_passwords(text, expected):
    assert secrets.mask_dsn_passwords(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Get https://admin:s3cr3t@charts.example/index.yaml: 401", "Get https://charts.example/index.yaml: 401"),
    ("http://u@h/a and oci://x:y@r/b", "http://h/a and oci://r/b"),
    ("https://charts.example/chartrepo/skoala", "https://charts.example/chartrepo/skoala"),
    (None, ""),
])
def test_strip_url_credentials(text, expected):
    assert secrets.strip_url_credentials(text) == expected
