"""The work done on a case: tasks, assistance planned and delivered, attachments, links, timeline, dashboards."""
