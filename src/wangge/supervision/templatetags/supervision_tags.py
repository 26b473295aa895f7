from django import template

register = template.Library()


@register.filter
def supervises(user) -> bool:
    """Whether `user` holds a supervising post anywhere (the supervision menu's own links)."""
    from wangge.supervision.selectors import supervise_scope

    return not supervise_scope(user).is_empty
