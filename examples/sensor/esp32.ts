/** The sensor example on an ESP32 DevKitC. */
import { main } from './app';
import { ESP32_DEVKITC } from '../../boards/profiles';

main(ESP32_DEVKITC);
