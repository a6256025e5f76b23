import pkg from '../../package.json';

export const SERVING_LAB_VERSION: string = pkg.version;
