from django import template

register = template.Library()


@register.filter
def cells(row, editable):
    """`{{ row|cells:editable }}`: the row's cells, with buttons when the user may edit."""
    return row.cells_html(editable=bool(editable))
