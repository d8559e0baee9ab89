/**
 * The shape of the runtime type guards' data (`_guard-spec.generated.ts`, written from the jsii
 * assembly by projenrc/guard-spec.js): the declarations of this library's public types and of the
 * dependencies' types they reach, reduced to what the guards read.
 */

export interface TypeRef {
  readonly primitive?: string;
  readonly fqn?: string;
  readonly collection?: { readonly kind: 'array' | 'map'; readonly elementtype: TypeRef };
  readonly union?: { readonly types: readonly TypeRef[] };
}

export interface Parameter {
  readonly name: string;
  readonly type: TypeRef;
  readonly optional?: boolean;
  readonly variadic?: boolean;
}

export interface Property {
  readonly name: string;
  /** Only for structs (the guards check a class's or interface's members by name). */
  readonly type?: TypeRef;
  readonly optional?: boolean;
  readonly static?: boolean;
  readonly protected?: boolean;
}

export interface JsiiType {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly name: string;
  readonly datatype?: boolean;
  readonly abstract?: boolean;
  readonly base?: string;
  readonly interfaces?: readonly string[];
  readonly properties?: readonly Property[];
  readonly members?: readonly { readonly name: string }[];
  /** Parameters only for this library's classes. */
  readonly initializer?: { readonly parameters?: readonly Parameter[] };
  readonly methods?: readonly Method[];
}

export interface Method {
  readonly name: string;
  readonly static?: boolean;
  readonly protected?: boolean;
  /** Only for this library's classes. */
  readonly parameters?: readonly Parameter[];
}

/** Every type by its fully qualified name. */
export interface GuardTypes {
  readonly [fqn: string]: JsiiType;
}
