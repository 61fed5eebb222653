import { registerMatchers } from '@nabla/core/testing';

registerMatchers();
