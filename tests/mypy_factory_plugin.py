"""mypy plugin: calling a factory-boy factory gives its model, as it does at run time.

factory-boy types `DeviceFactory.create()` by the factory's generic parameter
(`DjangoModelFactory[Device]`), but the shorthand `DeviceFactory(...)` goes through the
factory's metaclass, which mypy cannot follow: without this plugin every such call in the
tests would be typed as the factory class, and every use of the object as an error.
"""

from collections.abc import Callable

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import TypeInfo
from mypy.plugin import FunctionContext, Plugin
from mypy.types import AnyType, Instance, Type, get_proper_type

BASE_FACTORY = "factory.base.BaseFactory"


def _model_of_factory_call(ctx: FunctionContext) -> Type:
    made = get_proper_type(ctx.default_return_type)
    if not isinstance(made, Instance):
        return ctx.default_return_type
    base_info = next((info for info in made.type.mro if info.fullname == BASE_FACTORY), None)
    if base_info is None:
        return ctx.default_return_type
    (model,) = map_instance_to_supertype(made, base_info).args
    # A factory declared without its model (`DjangoModelFactory` bare) keeps the factory
    # type, so its first use fails loudly instead of silently turning into Any.
    if isinstance(get_proper_type(model), AnyType):
        return ctx.default_return_type
    return model


class FactoryCallPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        symbol = self.lookup_fully_qualified(fullname)
        node = symbol.node if symbol is not None else None
        if isinstance(node, TypeInfo) and node.has_base(BASE_FACTORY):
            return _model_of_factory_call
        return None


def plugin(version: str) -> type[Plugin]:
    return FactoryCallPlugin
