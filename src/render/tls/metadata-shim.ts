/**
 * @peculiar/x509 registers its classes with tsyringe, which refuses to load unless a
 * `Reflect.getMetadata` polyfill (the reflect-metadata package) is present. haplab uses no
 * decorator metadata, so the few functions tsyringe calls answer "no metadata": enough for
 * it to load, nothing more. Imported before @peculiar/x509, never elsewhere.
 */
type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: unknown) => unknown;
  getOwnMetadata?: (key: unknown, target: unknown) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: unknown) => void;
  hasMetadata?: (key: unknown, target: unknown) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: unknown) => void;
};

const reflect = Reflect as MetadataReflect;
reflect.getMetadata ??= () => undefined;
reflect.getOwnMetadata ??= () => undefined;
reflect.defineMetadata ??= () => undefined;
reflect.hasMetadata ??= () => false;
reflect.metadata ??= () => () => undefined;

export {};
