"""Duplicates and links (issue 18 item 5): the model's reading of each item (FeedbackReading)
and its sketch on the item, links between related items, the item a duplicate was merged into,
and the indexes the duplicate check reads: a queue's complaints and concerns by date with their
sketches, and the patient's NHS number, email (any case) and phone digits (ADR 0016)."""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
import feedback.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0019_question_redacted'),
    ]

    operations = [
        migrations.CreateModel(
            name='FeedbackLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('linked_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name='FeedbackReading',
            fields=[
                ('feedback', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='reading', serialize=False, to='feedback.feedback')),
                ('vector', models.BinaryField(max_length=384)),
                ('model_version', models.CharField(max_length=60)),
            ],
        ),
        migrations.AddField(
            model_name='feedback',
            name='duplicate_of',
            field=models.ForeignKey(blank=True, help_text='The item this one was merged into as a duplicate.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='duplicates', to='feedback.feedback'),
        ),
        migrations.AddField(
            model_name='feedback',
            name='reading_sketch',
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('receipt', 'Receipt with the tracking link'), ('acknowledgement', 'Acknowledgement'), ('response', 'Final response'), ('reopened', 'Complaint reopened'), ('merged', 'Joined to another item about the same matter')], max_length=20),
        ),
        migrations.AddIndex(
            model_name='feedback',
            index=models.Index(condition=models.Q(('duplicate_of__isnull', True), ('kind__in', ['complaint', 'concern'])), fields=['handled_by', 'received_at'], include=('id', 'model_version', 'reading_sketch'), name='feedback_duplicate_window'),
        ),
        migrations.AddIndex(
            model_name='identity',
            index=models.Index(condition=models.Q(('nhs_number', ''), _negated=True), fields=['nhs_number'], name='identity_nhs_number'),
        ),
        migrations.AddIndex(
            model_name='identity',
            index=models.Index(django.db.models.functions.text.Lower('email'), condition=models.Q(('email', ''), _negated=True), name='identity_email'),
        ),
        migrations.AddIndex(
            model_name='identity',
            index=models.Index(feedback.models.PhoneDigits('phone'), condition=models.Q(('phone', ''), _negated=True), name='identity_phone_digits'),
        ),
        migrations.AddConstraint(
            model_name='feedback',
            constraint=models.CheckConstraint(condition=models.Q(('reading_sketch__isnull', True), django.db.models.lookups.Exact(django.db.models.functions.text.Length('reading_sketch'), 96), _connector='OR'), name='feedback_reading_sketch_size'),
        ),
        migrations.AddField(
            model_name='feedbacklink',
            name='first',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='feedback.feedback'),
        ),
        migrations.AddField(
            model_name='feedbacklink',
            name='linked_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='feedbacklink',
            name='second',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='feedback.feedback'),
        ),
        migrations.AddConstraint(
            model_name='feedbackreading',
            constraint=models.CheckConstraint(condition=django.db.models.lookups.Exact(django.db.models.functions.text.Length('vector'), 384), name='feedback_reading_size'),
        ),
        migrations.AddConstraint(
            model_name='feedbacklink',
            constraint=models.UniqueConstraint(fields=('first', 'second'), name='unique_feedback_link'),
        ),
        migrations.AddConstraint(
            model_name='feedbacklink',
            constraint=models.CheckConstraint(condition=models.Q(('first__lt', models.F('second'))), name='feedback_link_ordered'),
        ),
    ]
