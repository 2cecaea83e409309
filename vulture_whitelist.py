"""Names vulture (`make deadcode`) can't see being used: each is called by a framework or is public API.

Everything else vulture reports is dead: remove it rather than listing it here.
"""

# ruff: noqa: B018, F821 - vulture reads this file; it is never imported

# pydantic reads model_config, and serializes response fields no Python code reads.
_.model_config
_.last_status
_.last_error
_.product_name
_.logo_url
_.accent_color
_.tenant_name
_.revoked
_.PAUSED  # HookStatus value: set through the API, compared as a string

# urllib3 instantiates a pool's ConnectionCls.
_.ConnectionCls

# Powertools' tracer provider interface, implemented by the no-op tracer (functions/common/observability.py).
_.in_subsegment_async
_.patch_all
namespace
modules

# Lambda's context object, emulated by the local runtime (Powertools reads these attributes).
_.memory_limit_in_mb
_.function_version
_.aws_request_id
_.invoked_function_arn

# The local runtime's documented embedding API (docs/local-runtime.md) and moto's queue attributes.
_.observe_aws_requests
_.approximate_number_of_messages
_.approximate_number_of_messages_not_visible
_.approximate_number_of_messages_delayed
_.__class__

# http.server and socketserver hooks and class attributes.
_.handle_error
client_address
_.do_POST
_.log_message
_.protocol_version
_.disable_nagle_algorithm
_.daemon_threads
_.request_queue_size

# CDK calls an aspect's visit.
_.visit

# pytest: fixtures requested for their effect, handlers the worker tests load by name, a fake's signature.
schema_type
two_second_schedule
_.connections
busy_echo
crash
hang
fail_to_import
refuse_name_lookups
unit
