"""Django admin registrations for inspecting the server's data."""

from django.contrib import admin
from django.urls import get_script_prefix
from django.utils.html import format_html

from api import models
from api.blocks.encryption import decrypt_data
from api.models.base import ORMBaseModel

admin.site.site_header = "Orion administration"
admin.site.site_title = "Orion admin"
admin.site.index_title = "Orion data"


def ui_link(path: str, label: str = "Open in the UI") -> str:
    """A link to a page of the Orion UI, which is served next to the admin."""
    return format_html('<a href="{}{}">{}</a>', get_script_prefix(), path.lstrip("/"), label)


@admin.register(models.Configuration)
class ConfigurationAdmin(admin.ModelAdmin):
    """Server configuration entries."""

    list_display = ("key", "updated")
    list_filter = ("updated",)
    search_fields = ("key",)
    readonly_fields = ("id", "created", "updated")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Inspection only: rows are written through the API, which keeps runs, states and
    logs consistent (the admin's cascade would leave a deleted run's logs behind)."""

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001 - Django signature
        """No adding from the admin."""
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        """No editing from the admin."""
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        """No deleting from the admin."""
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows listed under their parent with every field read-only; like the parent rows,
    they are written through the API only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None) -> tuple:  # noqa: ANN001 - Django signature
        """Every field shown."""
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        """No adding from the admin."""
        return False


class UILinkedAdmin(ReadOnlyAdmin):
    """Read-only rows that link to their page in the UI."""

    #: The row's page in the UI, formatted with its ``id``.
    ui_path = ""
    readonly_fields = ("open_in_ui",)

    @admin.display(description="UI")
    def open_in_ui(self, obj: ORMBaseModel) -> str:
        """The row's page in the UI (for a flow run: state, task timeline, live logs)."""
        return ui_link(self.ui_path.format(id=obj.id))


class StateInline(ReadOnlyInline):
    """A run's state history, oldest first (written by orchestration only)."""

    fields = ("timestamp", "type", "name", "message")
    ordering = ("timestamp",)


class FlowRunStateInline(StateInline):
    """States of a flow run."""

    model = models.FlowRunState
    fk_name = "flow_run"


class TaskRunStateInline(StateInline):
    """States of a task run."""

    model = models.TaskRunState
    fk_name = "task_run"


@admin.register(models.Flow)
class FlowAdmin(UILinkedAdmin):
    """Flows."""

    list_display = ("name", "tags", "created", "open_in_ui")
    list_filter = ("created",)
    search_fields = ("name",)
    ordering = ("name",)
    ui_path = "flows/flow/{id}"


@admin.register(models.FlowRun)
class FlowRunAdmin(UILinkedAdmin):
    """Flow runs with their state history."""

    list_display = ("name", "flow", "state_type", "state_name", "expected_start_time", "start_time", "end_time", "open_in_ui")
    list_filter = ("state_type", "state_name", "auto_scheduled", "expected_start_time")
    search_fields = ("name", "flow__name")
    list_select_related = ("flow",)
    ordering = ("-expected_start_time",)
    raw_id_fields = ("flow", "state", "work_queue", "parent_task_run", "infrastructure_document")
    inlines = (FlowRunStateInline,)
    ui_path = "flow-runs/flow-run/{id}"


@admin.register(models.TaskRun)
class TaskRunAdmin(ReadOnlyAdmin):
    """Task runs with their state history."""

    list_display = ("name", "flow_run", "task_key", "state_type", "state_name", "start_time", "end_time")
    list_filter = ("state_type", "state_name")
    search_fields = ("name", "task_key")
    list_select_related = ("flow_run",)
    ordering = ("-expected_start_time",)
    raw_id_fields = ("flow_run", "state")
    inlines = (TaskRunStateInline,)


@admin.register(models.Log)
class LogAdmin(ReadOnlyAdmin):
    """Log lines."""

    list_display = ("timestamp", "level", "name", "message", "flow_run_id", "task_run_id")
    list_filter = ("level",)
    search_fields = ("name", "message")
    ordering = ("-timestamp",)


@admin.register(models.ConcurrencyLimit)
class ConcurrencyLimitAdmin(admin.ModelAdmin):
    """Tag concurrency limits (the limit itself may be changed here)."""

    list_display = ("tag", "concurrency_limit", "active_slot_count", "updated")
    list_filter = ("updated",)
    search_fields = ("tag",)
    ordering = ("tag",)
    readonly_fields = ("id", "created", "updated", "active_slots")

    @admin.display(description="active slots")
    def active_slot_count(self, obj: models.ConcurrencyLimit) -> int:
        """How many task runs hold a slot."""
        return len(obj.active_slots or [])


@admin.register(models.BlockType)
class BlockTypeAdmin(ReadOnlyAdmin):
    """Block types (registered by the server or by clients)."""

    list_display = ("name", "slug", "is_protected", "updated")
    list_filter = ("is_protected",)
    search_fields = ("name", "slug")
    ordering = ("name",)


class BlockSchemaReferenceInline(ReadOnlyInline):
    """The nested blocks of a schema."""

    model = models.BlockSchemaReference
    fk_name = "parent_block_schema"
    fields = ("name", "reference_block_schema")


@admin.register(models.BlockSchema)
class BlockSchemaAdmin(ReadOnlyAdmin):
    """Block schemas, newest first."""

    list_display = ("block_type", "version", "checksum", "created")
    list_select_related = ("block_type",)
    list_filter = ("version",)
    search_fields = ("checksum", "block_type__slug")
    ordering = ("-created",)
    inlines = (BlockSchemaReferenceInline,)


class BlockDocumentReferenceInline(ReadOnlyInline):
    """The nested saved blocks of a document."""

    model = models.BlockDocumentReference
    fk_name = "parent_block_document"
    fields = ("name", "reference_block_document")


@admin.register(models.BlockDocument)
class BlockDocumentAdmin(ReadOnlyAdmin):
    """Saved blocks. Their data is encrypted and is never shown in clear: the page
    shows which keys it holds, not their values."""

    list_display = ("name", "block_type", "is_anonymous", "updated")
    list_select_related = ("block_type",)
    list_filter = ("is_anonymous",)
    search_fields = ("name", "block_type__slug")
    ordering = ("name",)
    exclude = ("data",)
    readonly_fields = ("id", "created", "updated", "block_type", "block_schema", "is_anonymous", "data_keys")
    inlines = (BlockDocumentReferenceInline,)

    @admin.display(description="data (encrypted; keys only)")
    def data_keys(self, obj: models.BlockDocument) -> str:
        """The top-level keys of the stored data."""
        keys = sorted(decrypt_data(obj.data))
        return ", ".join(keys) if keys else "(empty)"


@admin.register(models.Deployment)
class DeploymentAdmin(UILinkedAdmin):
    """Deployments with their flow, schedule and work queue."""

    list_display = ("name", "flow", "is_schedule_active", "work_queue_name", "updated", "open_in_ui")
    list_filter = ("is_schedule_active", "updated")
    search_fields = ("name", "flow__name", "work_queue_name")
    list_select_related = ("flow",)
    ordering = ("name",)
    raw_id_fields = ("flow", "work_queue", "storage_document", "infrastructure_document")
    ui_path = "deployments/deployment/{id}"


class WorkQueueInline(ReadOnlyInline):
    """The queues of a pool, by priority."""

    model = models.WorkQueue
    fk_name = "work_pool"
    fields = ("priority", "name", "is_paused", "concurrency_limit", "last_polled")
    ordering = ("priority",)
    show_change_link = True


@admin.register(models.WorkPool)
class WorkPoolAdmin(ReadOnlyAdmin):
    """Work pools with their queues."""

    list_display = ("name", "type", "is_paused", "concurrency_limit", "updated")
    list_filter = ("type", "is_paused")
    search_fields = ("name", "type")
    ordering = ("name",)
    raw_id_fields = ("default_queue",)
    inlines = (WorkQueueInline,)


@admin.register(models.WorkQueue)
class WorkQueueAdmin(ReadOnlyAdmin):
    """Work queues of every pool."""

    list_display = ("name", "work_pool", "priority", "is_paused", "concurrency_limit", "last_polled")
    list_filter = ("is_paused", "work_pool")
    search_fields = ("name", "work_pool__name")
    list_select_related = ("work_pool",)
    ordering = ("work_pool__name", "priority")
    raw_id_fields = ("work_pool",)


@admin.register(models.Worker)
class WorkerAdmin(ReadOnlyAdmin):
    """Workers by latest heartbeat."""

    list_display = ("name", "work_pool", "last_heartbeat_time")
    list_filter = ("work_pool", "last_heartbeat_time")
    search_fields = ("name", "work_pool__name")
    list_select_related = ("work_pool",)
    ordering = ("-last_heartbeat_time",)


@admin.register(models.Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    """Artifacts (results and user artifacts)."""

    list_display = ("key", "type", "flow_run_id", "task_run_id", "created")
    list_filter = ("type", "created")
    search_fields = ("key", "description")
    ordering = ("-created",)


@admin.register(models.FlowRunNotificationPolicy)
class FlowRunNotificationPolicyAdmin(ReadOnlyAdmin):
    """Notification policies and the block each one sends through."""

    list_display = ("id", "is_active", "state_names", "tags", "block_document")
    list_filter = ("is_active",)
    search_fields = ("block_document__name", "message_template")
    list_select_related = ("block_document",)
    ordering = ("id",)
    raw_id_fields = ("block_document",)


@admin.register(models.ServiceHeartbeat)
class ServiceHeartbeatAdmin(ReadOnlyAdmin):
    """Background services: when each last finished a loop, how long it took, and where."""

    list_display = ("name", "last_success", "loop_seconds", "last_duration_seconds", "process")
    ordering = ("name",)


@admin.register(models.APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """API tokens: created here, the secret is shown once in the confirmation message."""

    list_display = ("name", "user", "prefix", "created", "expires", "last_used", "revoked")
    list_filter = ("revoked", "expires", "created")
    search_fields = ("name", "user__username", "prefix")
    fields = ("user", "name", "expires", "prefix", "created", "last_used", "revoked")
    readonly_fields = ("prefix", "created", "last_used", "revoked")
    actions = ("revoke",)

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - Django signature
        """A new token gets a fresh secret, shown once; edits keep the stored digest."""
        from django.contrib import messages

        from api.crud import accounts

        if change:
            super().save_model(request, obj, form, change)
            return
        token, secret = accounts.create_token(obj.user, obj.name, obj.expires)
        obj.pk, obj.digest, obj.prefix, obj.created = token.pk, token.digest, token.prefix, token.created
        obj._state.adding = False
        messages.warning(request, f"Token {obj.name!r} for {obj.user}: {secret}  (copy it now: it is not stored and is shown only once)")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:  # noqa: ANN001 - Django signature
        """Revoke tokens (the rows stay, for the audit trail)."""
        from api.auth.identity import forget_token
        from api.crud import accounts

        tokens = list(queryset)
        self.message_user(request, f"Revoked {accounts.revoke_tokens(tokens)} token(s).")
        for token in tokens:
            forget_token(token.digest)


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: read-only, filterable by outcome, method, status, user and time."""

    list_display = ("at", "username", "token_name", "peer", "method", "path", "object_id", "status", "outcome")
    list_filter = ("outcome", "method", "status", "username", "at")
    search_fields = ("path", "object_id", "username", "request_id", "peer")
    date_hierarchy = "at"
