"""What an SRE sets up on day one: one dashboard, alarms that page through an SNS topic."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from functions.common import contract
from functions.common import metric_names as names
from infra.config import DeployConfig
from infra.constructs.queues import QueueWithDlq

PERIOD = Duration.minutes(1)
HALF, THIRD = 12, 8


def hookwire_metric(name: str, statistic: str = "Sum", label: str | None = None) -> cw.Metric:
    return cw.Metric(
        namespace=contract.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": contract.SERVICE_NAME},
        statistic=statistic,
        period=PERIOD,
        label=label or name,
    )


@dataclass(frozen=True)
class Watched:
    """Everything the monitoring looks at."""

    http_api: apigw.HttpApi
    queues: dict[str, QueueWithDlq]
    functions: dict[str, lambda_.IFunction]


def _percentiles(name: str) -> list[cw.IMetric]:
    return [hookwire_metric(name, p, f"{name} {p}") for p in ("p50", "p90", "p99")]


def _failure_rate() -> cw.MathExpression:
    """Percentage of attempts that failed; 0 while there is too little traffic to judge."""
    return cw.MathExpression(
        expression="IF(attempts > 10, 100 * failed / attempts, 0)",
        using_metrics={
            "attempts": hookwire_metric(names.DELIVERY_ATTEMPTS),
            "failed": hookwire_metric(names.DELIVERIES_FAILED),
        },
        label="Failure rate %",
        period=Duration.minutes(5),
    )


def _messages_held(queue: QueueWithDlq) -> cw.MathExpression:
    """Messages in the DLQ, visible or being looked at (a kept message is invisible between looks)."""
    return cw.MathExpression(
        expression="visible + invisible",
        using_metrics={
            "visible": queue.dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            "invisible": queue.dlq.metric_approximate_number_of_messages_not_visible(
                period=PERIOD, statistic="Maximum"
            ),
        },
        label="messages held",
        period=Duration.minutes(5),
    )


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, watched: Watched, config: DeployConfig) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Alarms",
            display_name="Hookwire alarms",
            master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"Hookwire-{contract.SERVICE_NAME}")
        self.dashboard.add_widgets(*self._delivery_widgets())
        self.dashboard.add_widgets(*self._queue_widgets(watched.queues))
        self.dashboard.add_widgets(*self._function_widgets(watched.functions))
        self.dashboard.add_widgets(*self._api_widgets(watched.http_api))
        self.alarms = self._alarms(watched, config)

    # --- dashboard ---------------------------------------------------------------------------------
    @staticmethod
    def _delivery_widgets() -> list[cw.IWidget]:
        success_rate = cw.MathExpression(
            expression="IF(attempts > 0, 100 * succeeded / attempts, 100)",
            using_metrics={
                "attempts": hookwire_metric(names.DELIVERY_ATTEMPTS),
                "succeeded": hookwire_metric(names.DELIVERIES_SUCCEEDED),
            },
            label="Success rate %",
            period=PERIOD,
        )
        return [
            cw.GraphWidget(
                title="Events and deliveries",
                width=HALF,
                left=[
                    hookwire_metric(n)
                    for n in (
                        names.EVENTS_PUBLISHED,
                        names.DELIVERIES_QUEUED,
                        names.DELIVERY_ATTEMPTS,
                        names.DELIVERIES_SUCCEEDED,
                        names.DELIVERIES_FAILED,
                        names.DELIVERIES_EXHAUSTED,
                        names.RETRIES_SCHEDULED,
                        names.RETRIES_CANCELLED,
                        names.DELIVERIES_RATE_LIMITED,
                        names.DELIVERIES_DEFERRED,
                        names.HOOKS_DISABLED,
                        names.DELIVERY_ITEM_ERRORS,
                        names.DEAD_LETTERS,
                        names.DEAD_LETTERS_UNATTRIBUTED,
                    )
                ],
            ),
            cw.GraphWidget(
                title="Refused or failed events messages",
                width=HALF,
                left=[hookwire_metric(n) for n in names.INPUT_FAILURES],
            ),
            cw.GraphWidget(
                title="Delivery success rate", width=HALF, left=[success_rate], left_y_axis={"min": 0, "max": 100}
            ),
            cw.GraphWidget(
                title="Failed attempts by reason",
                width=THIRD,
                left=[hookwire_metric(names.failure_metric(c), label=c) for c in names.FAILURE_CLASSES],
                stacked=True,
            ),
            cw.GraphWidget(title="Delivery latency (ms)", width=THIRD, left=_percentiles(names.DELIVERY_LATENCY)),
            cw.GraphWidget(title="Publish to first attempt (ms)", width=THIRD, left=_percentiles(names.END_TO_END_LAG)),
        ]

    @staticmethod
    def _queue_widgets(queues: dict[str, QueueWithDlq]) -> list[cw.IWidget]:
        all_queues = {**{n: q.queue for n, q in queues.items()}, **{f"{n} DLQ": q.dlq for n, q in queues.items()}}
        return [
            cw.GraphWidget(
                title="Queue depth (visible + in flight)",
                width=HALF,
                left=[
                    m
                    for name, queue in all_queues.items()
                    for m in (
                        queue.metric_approximate_number_of_messages_visible(label=f"{name} visible", period=PERIOD),
                        queue.metric_approximate_number_of_messages_not_visible(
                            label=f"{name} in flight", period=PERIOD
                        ),
                    )
                ],
            ),
            cw.GraphWidget(
                title="Age of oldest message (s)",
                width=HALF,
                left=[
                    queue.metric_approximate_age_of_oldest_message(label=name, period=PERIOD, statistic="Maximum")
                    for name, queue in all_queues.items()
                ],
            ),
        ]

    @staticmethod
    def _function_widgets(functions: dict[str, lambda_.IFunction]) -> list[cw.IWidget]:
        def per_function(title: str, metric: str, statistic: str) -> cw.GraphWidget:
            return cw.GraphWidget(
                title=title,
                width=6,
                left=[
                    fn.metric(metric, statistic=statistic, period=PERIOD, label=f"{name}")
                    for name, fn in functions.items()
                ],
            )

        return [
            per_function("Lambda errors", "Errors", "Sum"),
            per_function("Lambda throttles", "Throttles", "Sum"),
            per_function("Lambda duration p99 (ms)", "Duration", "p99"),
            per_function("Lambda concurrency", "ConcurrentExecutions", "Maximum"),
        ]

    @staticmethod
    def _api_widgets(http_api: apigw.HttpApi) -> list[cw.IWidget]:
        return [
            cw.GraphWidget(
                title="API requests and errors",
                width=HALF,
                left=[
                    http_api.metric_count(period=PERIOD, label="requests"),
                    http_api.metric_client_error(period=PERIOD, label="4xx"),
                    http_api.metric_server_error(period=PERIOD, label="5xx"),
                ],
            ),
            cw.GraphWidget(
                title="API latency (ms)",
                width=HALF,
                left=[http_api.metric_latency(period=PERIOD, statistic=p, label=p) for p in ("p50", "p90", "p99")],
            ),
        ]

    # --- alarms ------------------------------------------------------------------------------------
    def _alarm(
        self, construct_id: str, metric: cw.IMetric, threshold: float, description: str, periods: int = 1
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        return alarm

    def _alarms(self, watched: Watched, config: DeployConfig) -> list[cw.Alarm]:
        # The recorder drains a DLQ within seconds, so a message that *stays* is what needs a person:
        # one nobody could attribute (kept for inspection and redrive) or one the recorder keeps failing on.
        alarms = [
            self._alarm(
                f"{name}DlqNotEmpty",
                _messages_held(queue),
                0,
                f"A message has stayed in the {name} DLQ for 15 minutes: the dead-letter recorder could not "
                "attribute it (unparseable, or its event is gone) or keeps failing on it. Inspect it, fix the "
                "cause, then redrive or purge it.",
                periods=3,
            )
            for name, queue in watched.queues.items()
        ]
        alarms.append(
            self._alarm(
                "DeadLetters",
                hookwire_metric(names.DEAD_LETTERS),
                0,
                "A message reached a DLQ: fanout or deliver failed on it at every receive (a bug or an AWS "
                "outage). Customers see it as a failed execution or a failed event; find the cause in the logs.",
            )
        )
        alarms.append(
            self._alarm(
                "DeliveryFailureRate",
                _failure_rate(),
                config.failure_rate_alarm_percent,
                f"More than {config.failure_rate_alarm_percent:g} % of delivery attempts failed over 5 minutes.",
            )
        )
        alarms.append(
            self._alarm(
                "DeliveriesBacklog",
                watched.queues["Deliveries"].queue.metric_approximate_age_of_oldest_message(
                    period=PERIOD, statistic="Maximum"
                ),
                contract.SQS_MAX_DELAY_SECONDS,
                "The oldest deliveries message is older than 15 minutes: deliver is not keeping up.",
                periods=3,
            )
        )
        for name, function in watched.functions.items():
            alarms.append(
                self._alarm(
                    f"{name}Errors",
                    function.metric_errors(period=PERIOD),
                    0,
                    f"The {name} function failed (crash or timeout).",
                )
            )
            alarms.append(
                self._alarm(
                    f"{name}Throttles",
                    function.metric_throttles(period=PERIOD),
                    0,
                    f"The {name} function was throttled (account or reserved concurrency).",
                )
            )
        alarms.append(
            self._alarm(
                "Api5xx",
                watched.http_api.metric_server_error(period=Duration.minutes(5)),
                config.api_5xx_alarm_count,
                "The HTTP API answered 5xx (an AWS dependency failed or the api function crashed).",
            )
        )
        return alarms
