"""Block types, schemas, documents and their references."""

from django.db import models

from api.models.base import NamedModel, ORMBaseModel


class BlockType(ORMBaseModel):
    """A kind of block (``local-file-system``, ``secret``, ...)."""

    name = models.TextField()
    slug = models.TextField()
    logo_url = models.TextField(null=True, blank=True)
    documentation_url = models.TextField(null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    code_example = models.TextField(null=True, blank=True)
    is_protected = models.BooleanField(default=False)

    class Meta:
        db_table = "block_type"
        constraints = [models.UniqueConstraint(fields=["slug"], name="uq_block_type__slug")]
        indexes = [models.Index(fields=["name"], name="ix_block_type__name")]

    def __str__(self) -> str:
        return self.slug


class BlockSchema(ORMBaseModel):
    """One version of a block type's JSON schema, identified by checksum."""

    checksum = models.TextField()
    version = models.TextField(default="non-versioned")
    fields = models.JSONField(default=dict)
    capabilities = models.JSONField(default=list)
    block_type = models.ForeignKey("api.BlockType", on_delete=models.CASCADE, related_name="block_schemas")

    class Meta:
        db_table = "block_schema"
        constraints = [
            models.UniqueConstraint(
                fields=["checksum", "version"], name="uq_block_schema__checksum_version"
            )
        ]
        indexes = [
            models.Index(fields=["created"], name="ix_block_schema__created"),
        ]

    def __str__(self) -> str:
        return f"{self.checksum} ({self.version})"


def optional_block_document() -> models.ForeignKey:
    """An optional block document (storage, infrastructure) of a run or deployment; deleting
    the document deletes the row, and documents keep no reverse accessor."""
    return models.ForeignKey("api.BlockDocument", null=True, blank=True, on_delete=models.CASCADE, related_name="+")


def reference_edge(to: str) -> tuple[models.ForeignKey, models.ForeignKey]:
    """The parent and the referenced row of a nesting edge between two rows of ``to``."""
    return (
        models.ForeignKey(to, on_delete=models.CASCADE, related_name="references"),
        models.ForeignKey(to, on_delete=models.CASCADE, related_name="referenced_by"),
    )


class BlockSchemaReference(NamedModel):
    """A nested block field of a schema (``name``) pointing at the nested type's schema."""

    parent_block_schema, reference_block_schema = reference_edge("api.BlockSchema")

    class Meta:
        db_table = "block_schema_reference"


class BlockDocument(ORMBaseModel):
    """A saved block: its data is encrypted at rest (a Fernet token)."""

    name = models.TextField(null=True, blank=True)
    data = models.TextField(default="")
    is_anonymous = models.BooleanField(default=False)
    # The unique (type, name) index serves lookups by type.
    block_type = models.ForeignKey(
        "api.BlockType", on_delete=models.CASCADE, related_name="block_documents", db_index=False
    )
    block_schema = models.ForeignKey(
        "api.BlockSchema", on_delete=models.CASCADE, related_name="block_documents"
    )

    class Meta:
        db_table = "block_document"
        constraints = [models.UniqueConstraint(fields=["block_type", "name"], name="uq_block__type_id_name")]
        indexes = [
            models.Index(fields=["name"], name="ix_block_document__name"),
            # Anonymous documents (one per client flow run) are skipped by default listings.
            models.Index(fields=["is_anonymous", "name"], name="ix_block_document__anon_name"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.id)


class BlockDocumentReference(NamedModel):
    """A nested saved block: field ``name`` of the parent document is another document."""

    parent_block_document, reference_block_document = reference_edge("api.BlockDocument")

    class Meta:
        db_table = "block_document_reference"
