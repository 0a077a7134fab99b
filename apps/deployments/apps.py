from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "apps.deployments"
    label = "deployments"

    def ready(self) -> None:
        from apps.deployments import receivers  # noqa: F401  (connects the audit sink)
        from apps.deployments.services import holdings_by_team, team_holdings
        from apps.quotas.services import register_holdings

        register_holdings(team_holdings, holdings_by_team)
