import { FluxionError } from '@fluxion/core';

/** A model that cannot be exported: not batch-polymorphic, wrong output, bad options. */
export class ExportError extends FluxionError {}

/** The traced model uses a primitive the code generators do not support; `primitive` names it. */
export class UnsupportedOpError extends ExportError {
  constructor(
    op: string,
    readonly primitive: string,
    message: string,
  ) {
    super(op, message);
  }
}
