import { configure } from '@testing-library/react';

// These components call a real server: on a loaded 2-core machine its answer can take seconds,
// past testing-library's default of one. A wait ends as soon as its condition holds.
configure({ asyncUtilTimeout: 10_000 });
