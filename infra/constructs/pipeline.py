"""Fan-out and delivery: two queues with DLQs and the functions draining them."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common import contract
from infra import constants
from infra.config import DeployConfig
from infra.constructs.egress import StaticEgress
from infra.constructs.function import HookwireFunction
from infra.constructs.queues import QueueWithDlq


def _event_source(queue: sqs.IQueue, spec: contract.ConsumerSpec) -> sources.SqsEventSource:
    window = {"max_batching_window": Duration.seconds(spec.max_batching_window_seconds)} if not queue.fifo else {}
    return sources.SqsEventSource(
        queue,
        batch_size=spec.batch_size,
        report_batch_item_failures=True,
        max_concurrency=spec.max_concurrency,
        **window,  # FIFO event sources take no batching window
    )


class DeliveryPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        environment: dict[str, str],
        egress: StaticEgress | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.events = QueueWithDlq(self, "Events", contract.EVENTS_CONSUMER)
        self.deliveries = QueueWithDlq(self, "Deliveries", contract.DELIVERIES_CONSUMER)
        # Hooks with `ordering: fifo`; an idle FIFO queue costs nothing.
        self.ordered_deliveries = QueueWithDlq(self, "OrderedDeliveries", contract.ORDERED_DELIVERIES_CONSUMER)
        queue_env = {
            contract.Env.EVENTS_QUEUE_URL: self.events.queue.queue_url,
            contract.Env.DELIVERIES_QUEUE_URL: self.deliveries.queue.queue_url,
            contract.Env.ORDERED_DELIVERIES_QUEUE_URL: self.ordered_deliveries.queue.queue_url,
        }
        self.environment = {**environment, **queue_env}
        self.fanout = self._consumer(
            "Fanout", constants.FANOUT_HANDLER, constants.FANOUT_MEMORY_MB, self.events, config, "Hookwire fan-out"
        )
        self.deliver = self._consumer(
            "Deliver",
            constants.DELIVER_HANDLER,
            constants.DELIVER_MEMORY_MB,
            self.deliveries,
            config,
            "Hookwire delivery",
            egress,
        )
        ordered = self.ordered_deliveries
        self.deliver.add_event_source(_event_source(ordered.queue, ordered.spec))
        # One recorder drains the DLQs: what reached them becomes a failed execution or a failed event.
        self.dead_letters = HookwireFunction(
            self,
            "DeadLetters",
            handler=constants.DEAD_LETTERS_HANDLER,
            memory_mb=constants.DEAD_LETTERS_MEMORY_MB,
            timeout_seconds=contract.DEAD_LETTERS_CONSUMER.function_timeout_seconds,
            environment=self.environment,
            config=config,
            description="Hookwire dead-letter recorder",
        ).function
        for queue in (self.events, self.deliveries, self.ordered_deliveries):
            self.dead_letters.add_event_source(_event_source(queue.dlq, contract.DEAD_LETTERS_CONSUMER))

    def _consumer(
        self,
        name: str,
        handler: str,
        memory_mb: int,
        queue: QueueWithDlq,
        config: DeployConfig,
        description: str,
        egress: StaticEgress | None = None,
    ) -> lambda_.Function:
        function = HookwireFunction(
            self,
            name,
            handler=handler,
            memory_mb=memory_mb,
            timeout_seconds=queue.spec.function_timeout_seconds,
            environment=self.environment,
            config=config,
            description=description,
            egress=egress,
        ).function
        function.add_event_source(_event_source(queue.queue, queue.spec))
        return function
