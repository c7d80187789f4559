import { Ajv, type ValidateFunction } from 'ajv';

// One validator instance for the request shapes; `format` is checked by our own RFC 3339 parser
// so that the answer names the field, so ajv only needs to know the keyword exists.
const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });

/** Compiles a shape schema into a function answering the first problem found, or undefined. */
export function compileShapeCheck(schema: object): (value: unknown) => string | undefined {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return undefined;
    const [error] = validate.errors ?? [];
    if (!error) return 'malformed body';
    const where = error.instancePath === '' ? 'body' : error.instancePath.slice(1).replaceAll('/', '.');
    return `${where} ${error.message ?? 'is malformed'}`;
  };
}
