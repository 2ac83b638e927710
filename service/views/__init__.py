"""The service-request pages, split by kind of page: the dispatch board, intake, the
request list and page, and an engineer's jobs."""

from .board import dispatch_board
from .intake import intake_device, intake_devices, request_create
from .jobs import device_my_job, my_jobs
from .requests import (
    request_detail,
    request_event,
    request_event_confirm,
    request_fault_cause,
    request_list,
)

__all__ = [
    "device_my_job",
    "dispatch_board",
    "intake_device",
    "intake_devices",
    "my_jobs",
    "request_create",
    "request_detail",
    "request_event",
    "request_event_confirm",
    "request_fault_cause",
    "request_list",
]
