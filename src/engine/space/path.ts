/** Key paths into a config, and the error that carries one. */

export type KeyPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `["space", "layers", 0, "units"]` → `space.layers[0].units` (odd keys quoted, as in JS). */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === "" ? "<config>" : out;
}

/** A problem with a search space, with the place in the config it came from. */
export class SpaceError extends Error {
  override readonly name = "SpaceError";
  constructor(
    readonly path: KeyPath,
    readonly detail: string,
  ) {
    super(`${formatPath(path)}: ${detail}`);
  }
}
