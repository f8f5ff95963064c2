"""The production shape in docker-compose.yml: services, their commands and health checks."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services():
    services = load_compose()["services"]
    assert set(services) == {"postgres", "redis", "setup", "web", "worker", "beat", "prometheus"}


def test_services_run_the_right_commands():
    services = load_compose()["services"]
    assert "gunicorn patientview.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "patientview", "worker"]
    assert (
        "analysis"
        in services["worker"]["command"][services["worker"]["command"].index("--queues") + 1]
    )
    assert services["beat"]["command"][:4] == ["celery", "-A", "patientview", "beat"]


def test_stateful_services_have_volumes_and_health_checks():
    compose = load_compose()
    for name in ("postgres", "redis"):
        service = compose["services"][name]
        assert service["healthcheck"]["test"]
        assert any(":" in volume for volume in service["volumes"])
    assert {"postgres-data", "redis-data"} <= set(compose["volumes"])
    assert compose["services"]["web"]["healthcheck"]["test"]
    assert compose["services"]["worker"]["healthcheck"]["test"]


def test_app_services_use_real_services_and_no_default_secret():
    compose = load_compose()
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://")
        assert env["DJANGO_SETTINGS_MODULE"] == "patientview.settings.production"
        assert ":?" in env["DJANGO_SECRET_KEY"]  # compose refuses to start without one
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_web_processes_share_their_throttle_counters_in_redis():
    env = load_compose()["x-app"]["environment"]
    assert env["CACHE_URL"].startswith("redis://redis:")


def test_a_setup_step_migrates_loads_the_directory_and_creates_the_administrator():
    compose = load_compose()
    setup = " ".join(compose["services"]["setup"]["command"])
    for step in ("migrate --noinput", "import_ods", "ensure_admin"):
        assert f"manage.py {step}" in setup
    assert compose["services"]["setup"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["setup"]["condition"] == "service_completed_successfully"


def test_the_pseudonym_key_is_required_and_the_web_check_asks_as_the_proxy_does():
    compose = load_compose()
    assert ":?" in compose["x-app"]["environment"]["PSEUDONYM_KEY"]
    check = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "/health/" in check and "X-Forwarded-Proto" in check and "'Host': 'localhost'" in check


def test_prometheus_scrapes_the_web_with_the_metrics_token():
    compose = load_compose()
    assert ":?" in compose["x-app"]["environment"]["METRICS_TOKEN"]
    prometheus = compose["services"]["prometheus"]
    assert "metrics_token" in prometheus["secrets"]
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics/"
    assert job["static_configs"][0]["targets"] == ["web:8000"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
